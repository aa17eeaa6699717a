/*
 * no-entry - a shared object that is not a sluice plugin: it exports a
 * function, but not sluice_plugin_entry.
 */
int not_a_plugin(void);

int not_a_plugin(void)
{
	return 42;
}

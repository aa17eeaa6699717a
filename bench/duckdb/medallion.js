// The batch baseline of bench/medallion.sh: DuckDB computing the
// medallion tables of ../../../shared/reference/PIPELINE.md (as sluice's
// transform-bronze, -silver and -gold define them) from the raw events
// as one JSON Lines file, with sluice's semantics: the seed's schema
// (records that do not fit go to a quarantine table), the shipped silver
// expectations dropping records (valid_email, positive_amount,
// amount_matches_items, known_currency, user_id_present), duplicates
// dropped on transaction_id (the first wins) and on (transaction_id,
// item_id), money as exact decimals, gold grouped as transform-gold does.
//
//   node medallion.js --input EVENTS.jsonl [--tables bronze-silver|all]
//        [--threads N] [--sluice DIR]
//
// Prints the wall time of the computation (file read to the last table
// materialised in memory; not node's start nor this script's load), the
// rows of every table, and with --sluice DIR (one DIR/<topic>.jsonl per
// topic, the record values in partition order, as kcat dumps them) how
// sluice's topics compare with the tables: rows, keys, and rows that
// differ. The last line is machine-readable: `duckdb-result {json}`.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, existsSync } from 'node:fs';

function arg(name, dflt) {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const input = arg('input');
const tables = arg('tables', 'all');
const threads = arg('threads', '2');
const sluiceDir = arg('sluice');
if (!input || !['bronze-silver', 'all'].includes(tables)) {
	console.error('usage: node medallion.js --input EVENTS.jsonl [--tables bronze-silver|all] [--threads N] [--sluice DIR]');
	process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;

// The seed's schema, as transform-bronze's default declares it.
const userT = 'STRUCT(user_id BIGINT, name VARCHAR, email VARCHAR, country VARCHAR, city VARCHAR, ' +
	'address VARCHAR, age BIGINT, payment_method VARCHAR, device_type VARCHAR, ip_address VARCHAR)';
const itemT = 'STRUCT(item_id VARCHAR, name VARCHAR, price DOUBLE, quantity BIGINT)';
const columns = `{transaction_id: 'VARCHAR', user: '${userT}', amount: 'DOUBLE', currency: 'VARCHAR', ` +
	`timestamp: 'VARCHAR', category: 'VARCHAR', items: '${itemT}[]'}`;
const fits = `transaction_id IS NOT NULL AND "user" IS NOT NULL AND amount IS NOT NULL
	AND currency IS NOT NULL AND "timestamp" IS NOT NULL AND category IS NOT NULL AND items IS NOT NULL
	AND "user".user_id IS NOT NULL AND "user".name IS NOT NULL AND "user".email IS NOT NULL
	AND "user".country IS NOT NULL AND "user".city IS NOT NULL AND "user".address IS NOT NULL
	AND "user".age IS NOT NULL AND "user".payment_method IS NOT NULL AND "user".device_type IS NOT NULL
	AND "user".ip_address IS NOT NULL
	AND list_bool_and(list_transform(items, i -> i.item_id IS NOT NULL AND i.name IS NOT NULL
		AND i.price IS NOT NULL AND i.quantity IS NOT NULL)) IS NOT FALSE`;
const email = '^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$';

const steps = [
	// bronze: every line read with the declared schema, in file order
	// (_line stands for the lineage offset); what does not fit it goes to
	// quarantine. read_ndjson's ignore_errors skips lines that do not
	// parse at all (counted from the file's lines by the caller).
	['raw', `CREATE TEMP TABLE raw AS
		SELECT *, row_number() OVER () AS _line
		FROM read_ndjson(${q(input)}, columns = ${columns}, ignore_errors = true,
			maximum_object_size = 16777216)`],
	['bronze_transactions', `CREATE TABLE bronze_transactions AS
		SELECT * EXCLUDE (_line), get_current_timestamp() AS ingest_ts,
			{'file': ${q(input)}, 'line': _line} AS _source, _line
		FROM raw WHERE ${fits}`],
	['bronze_quarantine', `CREATE TABLE bronze_quarantine AS
		SELECT *, 'does not fit the schema' AS _errors FROM raw WHERE NOT (${fits})`],
	// silver: the shipped expectations (a null condition fails, as in
	// sluice), an ISO 8601 event time, then the first record of each
	// transaction_id.
	['silver_base', `CREATE TEMP TABLE silver_base AS
		SELECT * FROM bronze_transactions
		WHERE regexp_matches("user".email, ${q(email)})
		  AND amount > 0
		  AND round(list_sum(list_transform(items, i -> i.price * i.quantity)), 2) = amount
		  AND currency IN ('USD', 'EUR', 'GBP', 'INR')
		  AND "user".user_id IS NOT NULL
		  AND try_cast("timestamp" AS TIMESTAMPTZ) IS NOT NULL
		QUALIFY row_number() OVER (PARTITION BY transaction_id ORDER BY _line) = 1`],
	['silver_transactions', `CREATE TABLE silver_transactions AS
		SELECT transaction_id, amount::DECIMAL(18, 2) AS amount, currency, "timestamp",
			"user".user_id AS user_id, _line
		FROM silver_base`],
	['silver_users', `CREATE TABLE silver_users AS
		SELECT "user".user_id AS user_id, "user".name AS name, "user".age AS age,
			"user".email AS email, "user".address AS address
		FROM silver_base
		QUALIFY row_number() OVER (PARTITION BY "user".user_id ORDER BY _line DESC) = 1`],
	['silver_items', `CREATE TABLE silver_items AS
		SELECT transaction_id, i.item_id AS item_id, i.name AS name,
			i.price::DECIMAL(18, 2) AS price, i.quantity AS quantity, category
		FROM (SELECT transaction_id, category, _line, unnest(items) AS i FROM silver_base)
		QUALIFY row_number() OVER (PARTITION BY transaction_id, i.item_id ORDER BY _line) = 1`],
];
if (tables === 'all')
	steps.push(
		// gold: UTC day of the event time; money summed exactly; the
		// average in cents rounded half away from zero (transform-gold's
		// rule); products by (name, category).
		['gold_daily_metrics', `CREATE TABLE gold_daily_metrics AS
			WITH t AS (SELECT strftime("timestamp"::TIMESTAMPTZ, '%Y-%m-%d') AS date, currency, amount
				FROM silver_transactions),
			c AS (SELECT date, currency, sum(amount) AS revenue FROM t GROUP BY ALL)
			SELECT d.date, d.daily_transactions, d.daily_revenue, c.revenue_by_currency
			FROM (SELECT date, count(*) AS daily_transactions, sum(amount) AS daily_revenue
				FROM t GROUP BY date) d
			JOIN (SELECT date, map(list(currency ORDER BY currency), list(revenue ORDER BY currency))
				AS revenue_by_currency FROM c GROUP BY date) c USING (date)`],
		['gold_user_summary', `CREATE TABLE gold_user_summary AS
			SELECT user_id, count(*) AS total_transactions, sum(amount) AS total_spent,
				(CAST(sign(sum(amount)) AS BIGINT) * ((abs(sum(amount) * 100)::BIGINT * 2 + count(*))
					// (2 * count(*))) / 100)::DECIMAL(18, 2) AS avg_transaction_value,
				strftime(min("timestamp"::TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ') AS first_seen,
				strftime(max("timestamp"::TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ') AS last_seen
			FROM silver_transactions GROUP BY user_id`],
		['gold_product_summary', `CREATE TABLE gold_product_summary AS
			SELECT name, category, count(*) AS times_purchased, sum(quantity) AS units_sold,
				sum(price * quantity) AS total_revenue
			FROM silver_items GROUP BY name, category`],
	);
const outputs = ['bronze_transactions', 'bronze_quarantine', 'silver_transactions', 'silver_users',
	'silver_items'].concat(tables === 'all'
	? ['gold_daily_metrics', 'gold_user_summary', 'gold_product_summary'] : []);

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await instance.connect();
await con.run("SET TimeZone = 'UTC'");
const one = async (sql) => (await con.runAndReadAll(sql)).getRows()[0][0];
// Warm up the JSON reader and the ICU time zone code on a tiny input,
// so that the timing is the computation, not the first use of a module.
await con.run("SELECT count(*) FROM (SELECT '2026-01-01T00:00:00.000000Z'::TIMESTAMPTZ)");

const t0 = process.hrtime.bigint();
const stepMs = {};
for (const [name, sql] of steps) {
	const s0 = process.hrtime.bigint();
	await con.run(sql);
	stepMs[name] = Number(process.hrtime.bigint() - s0) / 1e6;
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;

const lines = readFileSync(input, 'utf8').split('\n').filter((l) => l.length > 0).length;
const rows = {};
for (const t of outputs)
	rows[t] = Number(await one(`SELECT count(*) FROM ${t}`));
const parsed = Number(await one('SELECT count(*) FROM raw'));
console.log(`duckdb ${tables}: ${lines} events in ${ms.toFixed(0)} ms (${(lines / (ms / 1000)).toFixed(0)} events/s), ` +
	`${threads} threads; lines read_ndjson could not parse: ${lines - parsed}`);
console.log('duckdb steps (ms): ' + Object.entries(stepMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
console.log('duckdb rows: ' + outputs.map((t) => `${t} ${rows[t]}`).join(', '));

// sluice's topics against the tables (not timed).
const compare = {};
if (sluiceDir) {
	const f = (t) => `${sluiceDir}/${t}.jsonl`;
	const have = (t) => existsSync(f(t));
	// The topic as it came: every record, in partition order; an upsert
	// topic's table is its last record per key.
	const load = async (t, cols, key) => {
		await con.run(`CREATE TEMP TABLE s_${t}_all AS SELECT *, row_number() OVER () AS _n
			FROM read_ndjson(${q(f(t))}, columns = {${cols}})`);
		await con.run(key
			? `CREATE TEMP TABLE s_${t} AS SELECT * EXCLUDE (_n) FROM s_${t}_all
				QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY _n DESC) = 1`
			: `CREATE TEMP TABLE s_${t} AS SELECT * EXCLUDE (_n) FROM s_${t}_all`);
	};
	// rows of sluice's topic, rows (keys) of its table, rows of each side
	// missing on the other
	const diff = async (t, sel, key) => {
		const c = {
			sluice_records: Number(await one(`SELECT count(*) FROM s_${t}_all`)),
			sluice_rows: Number(await one(`SELECT count(*) FROM s_${t}`)),
			duckdb_rows: rows[t],
			only_sluice: Number(await one(`SELECT count(*) FROM (SELECT ${sel} FROM s_${t} EXCEPT ALL SELECT ${sel} FROM ${t})`)),
			only_duckdb: Number(await one(`SELECT count(*) FROM (SELECT ${sel} FROM ${t} EXCEPT ALL SELECT ${sel} FROM s_${t})`)),
		};
		if (c.only_sluice || c.only_duckdb) {
			const ex = (await con.runAndReadAll(`(SELECT 'sluice' AS side, ${sel} FROM s_${t} EXCEPT ALL SELECT 'sluice', ${sel} FROM ${t} LIMIT 3)
				UNION ALL (SELECT 'duckdb', ${sel} FROM ${t} EXCEPT ALL SELECT 'duckdb', ${sel} FROM s_${t} LIMIT 3)`)).getRowObjectsJson();
			c.examples = ex;
		}
		compare[t] = c;
		void key;
	};
	if (have('bronze_transactions')) {
		await con.run(`CREATE TEMP TABLE s_bronze_transactions_all AS SELECT *, row_number() OVER () AS _n
			FROM read_ndjson(${q(f('bronze_transactions'))}, columns = {transaction_id: 'VARCHAR'})`);
		await con.run('CREATE TEMP TABLE s_bronze_transactions AS SELECT * FROM s_bronze_transactions_all');
		await diff('bronze_transactions', 'transaction_id');
	}
	if (have('bronze_quarantine'))
		compare.bronze_quarantine = { sluice_records: readFileSync(f('bronze_quarantine'), 'utf8').split('\n').filter((l) => l).length, duckdb_rows: rows.bronze_quarantine };
	if (have('silver_transactions')) {
		await load('silver_transactions', "transaction_id: 'VARCHAR', amount: 'DECIMAL(18,2)', currency: 'VARCHAR', timestamp: 'VARCHAR', user_id: 'BIGINT'");
		await diff('silver_transactions', 'transaction_id, amount, currency, "timestamp", user_id');
	}
	if (have('silver_users')) {
		await load('silver_users', "user_id: 'BIGINT', name: 'VARCHAR', age: 'BIGINT', email: 'VARCHAR', address: 'VARCHAR'", 'user_id');
		await diff('silver_users', 'user_id, name, age, email, address');
	}
	if (have('silver_items')) {
		await load('silver_items', "transaction_id: 'VARCHAR', item_id: 'VARCHAR', name: 'VARCHAR', price: 'DECIMAL(18,2)', quantity: 'BIGINT', category: 'VARCHAR'");
		await diff('silver_items', 'transaction_id, item_id, name, price, quantity, category');
	}
	if (tables === 'all' && have('gold_daily_metrics')) {
		await load('gold_daily_metrics', "date: 'VARCHAR', daily_transactions: 'BIGINT', daily_revenue: 'DECIMAL(18,2)', revenue_by_currency: 'MAP(VARCHAR, DECIMAL(18,2))'", 'date');
		await diff('gold_daily_metrics', 'date, daily_transactions, daily_revenue, revenue_by_currency');
	}
	if (tables === 'all' && have('gold_user_summary')) {
		await load('gold_user_summary', "user_id: 'BIGINT', total_transactions: 'BIGINT', total_spent: 'DECIMAL(18,2)', avg_transaction_value: 'DECIMAL(18,2)', first_seen: 'VARCHAR', last_seen: 'VARCHAR'", 'user_id');
		await diff('gold_user_summary', 'user_id, total_transactions, total_spent, avg_transaction_value, first_seen, last_seen');
	}
	if (tables === 'all' && have('gold_product_summary')) {
		await load('gold_product_summary', "name: 'VARCHAR', category: 'VARCHAR', times_purchased: 'BIGINT', units_sold: 'BIGINT', total_revenue: 'DECIMAL(18,2)'", 'name, category');
		await diff('gold_product_summary', 'name, category, times_purchased, units_sold, total_revenue');
	}
	for (const [t, c] of Object.entries(compare)) {
		let line = `compare ${t}: sluice ${c.sluice_records} records`;
		if (c.sluice_rows !== undefined && c.sluice_rows !== c.sluice_records)
			line += ` (${c.sluice_rows} rows, latest per key)`;
		line += `, duckdb ${c.duckdb_rows} rows`;
		if (c.only_sluice !== undefined)
			line += (c.only_sluice || c.only_duckdb)
				? `: MISMATCH, ${c.only_sluice} rows only in sluice, ${c.only_duckdb} only in duckdb`
				: ': identical';
		console.log(line);
		for (const e of c.examples || [])
			console.log(`  e.g. ${JSON.stringify(e)}`);
	}
}
console.log('duckdb-result ' + JSON.stringify({ tables, events: lines, ms, threads: Number(threads), rows, compare }));

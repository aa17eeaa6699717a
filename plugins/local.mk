# Shipped plugins; each folder adds its own fragment here.
include plugins/source-faker/local.mk

# Shipped plugins; each folder adds its own fragment here.
include plugins/common/local.mk
include plugins/source-faker/local.mk
include plugins/sink-s3/local.mk
include plugins/transform-bronze/local.mk
include plugins/transform-gold/local.mk
include plugins/transform-silver/local.mk

# Shipped plugins; each folder adds its own fragment here.

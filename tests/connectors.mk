# (owned by one area; filled as it lands)

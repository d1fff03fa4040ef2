"""Pure numerical analytics on numpy arrays: no database, HTTP or CLI imports."""

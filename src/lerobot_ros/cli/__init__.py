"""The ``lerobot-ros`` command line: one module per subcommand, registered in :mod:`.main`."""

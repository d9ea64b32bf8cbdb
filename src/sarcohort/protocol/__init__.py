"""The protocol (``study.toml``): its one reader and the table of its options."""

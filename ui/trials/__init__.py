"""The Trials menu: browsing the database, importing records and reviewing parsed criteria."""

"""The results side of the main window: ranked trials, trial detail and what to ask next."""

"""The patient profile form: the panel, its entry rows and the models behind its completers."""

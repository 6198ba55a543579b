"""Data only: the shipped default model (``default/``) and site templates. Installed as ``boiler.models``."""

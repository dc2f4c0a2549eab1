"""The example plugin of issue 10 and its tests: written only against taxportal.api."""

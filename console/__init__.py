"""The Django project package: settings, URLs, the dashboard and the shell of the UI."""

"""First run: the setup checklist (every role reads it; the dashboard points admins to it while it is
incomplete) and the page that makes the first administrator of an empty installation."""

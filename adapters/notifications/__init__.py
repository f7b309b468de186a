"""Messages out of the portal: the templates, and the email and SMS providers behind the notifier's ports."""

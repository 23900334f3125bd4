"""The application that runs in AWS. The Lambda code is the `chatbot_app` package (the archive's root is this
directory, so handlers are `chatbot_app.handlers.<name>.handler`); see README.md here."""

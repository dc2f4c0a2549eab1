"""taxportal's chat plugin: a conversation per portal between the taxpayer and the firm."""

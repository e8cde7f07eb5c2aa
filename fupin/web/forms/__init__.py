"""Forms of the pages (表单): plain Django forms; the services do the checking and the saving."""

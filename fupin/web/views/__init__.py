"""Pages (页面): thin views over :mod:`fupin.registry.selectors` (reads) and :mod:`fupin.registry.services` (writes).

Every read goes through the one scoping function; an object out of the user's scope, or a page the
user's role may not use, answers 404. One view serves a full page or its htmx partial.
"""

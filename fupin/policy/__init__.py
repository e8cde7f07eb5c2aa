"""Policy core (政策): pure Python, no Django import.

Code lists, identifier checks, income formula, region codes, roles. Every function takes what it
needs explicitly and returns a result object with reasons; nothing here touches a database.
"""

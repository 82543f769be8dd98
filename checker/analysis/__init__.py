"""The code model: finding files, parsing them (in worker processes, cached), suppression comments, facts per module, the project view and the parts rules ask about."""

"""What every feature shares and no feature owns: the request type, roles and capabilities, correlation ids,
secrets, the one audit writer, field limits, the API's base classes, paging and error answers.

core imports no feature (the layers contract in pyproject.toml says so, and ``make lint`` checks it).
"""

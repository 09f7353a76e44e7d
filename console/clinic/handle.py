"""The clinic's open database as its callers hold it: the handle every service takes first.

The screens and the commands open it, pass it to each service, read its clock and close it; they
never read or write through it. Only the services do, in the store's transactions: that is why a
caller names the handle from here and never reaches into `console.store`.
"""

from console.store.database import Database

__all__ = ["Database"]

"""The physician's review: the queue, signatures, addenda, returns, the trajectory and the audit trail."""

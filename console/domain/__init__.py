"""The clinic's words and rules without a database: codes, errors, actors, time, validated input, protocol."""

"""Fault injection: rules, actions over real sockets, when-conditions, scenarios."""

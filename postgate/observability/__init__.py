"""What an operator watches: Prometheus metrics read from the store and Redis."""

"""Operations endpoints such as the health check."""

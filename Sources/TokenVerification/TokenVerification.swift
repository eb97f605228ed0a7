// Verifies access JWTs (issue 3).

package db

// LapsedSeatsSQL is the count of an account's lapsed seats, for the plan
// tests.
const LapsedSeatsSQL = lapsedSeatsSQL

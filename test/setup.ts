// Keeps gateway logs out of test output unless LOG_LEVEL sets a level.
process.env.LOG_LEVEL ??= 'silent'

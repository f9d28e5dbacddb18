// Keeps gateway logs out of test output unless LOG_LEVEL asks for them.
process.env.LOG_LEVEL ??= 'silent'

// Each test class starts its own servers on free ports over its own files, so classes run side by side.
[assembly: Parallelize(Workers = 4, Scope = ExecutionScope.ClassLevel)]

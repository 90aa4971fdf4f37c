Console.WriteLine("nano-guard: not yet implemented");
return 0;

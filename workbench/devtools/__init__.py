"""Development tools the core never imports: the MTurk simulator, the demos, child servers."""

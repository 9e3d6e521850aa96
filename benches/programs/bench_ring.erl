%% A ring of 10,000 processes passing 1,000,000 messages.
-module(bench_ring).
-export([run/0]).
run() ->
    Self = self(),
    Last = spawn(fun() -> receive {first, F} -> relay(F) end end),
    First = build(9999, Last),
    Last ! {first, First},
    First ! {token, 1000000, Self},
    receive {done, Hops} -> Hops end.
build(0, Next) -> Next;
build(K, Next) -> build(K - 1, spawn(fun() -> relay(Next) end)).
relay(Next) ->
    receive
        {token, 0, Main} -> Main ! {done, 1000000};
        {token, N, Main} -> Next ! {token, N - 1, Main}, relay(Next)
    end.

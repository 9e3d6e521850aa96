%% Calls through funs: a closure with a free variable called in a loop,
%% one fun made of two others, and funs handed to a fold (fun_bm's shape
%% in the public corpus: every call is a `call_fun`).
-module(bench_funs).
-export([run/0]).

apply_n(0, _F, Acc) -> Acc;
apply_n(N, F, Acc) -> apply_n(N - 1, F, F(Acc)).

compose(F, G) -> fun(X) -> G(F(X)) end.

run() ->
    K = 3,
    Inc = fun(X) -> X + K end,
    Step = compose(Inc, fun(X) -> X band 16#ffffff end),
    A = apply_n(10000000, Step, 0),
    B = lists:foldl(fun(X, S) -> S + X * K end, 0, lists:seq(1, 3000000)),
    {A, B}.

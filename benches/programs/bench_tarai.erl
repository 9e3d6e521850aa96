%% Nested calls of three arguments whose arguments are the results of
%% other calls (Takeuchi's tarai function, which returns Y): around every
%% call the arguments move between x and y registers, and calls and
%% comparisons are all the work there is.
-module(bench_tarai).
-export([run/0]).

run() -> [tarai(X, Y, 0) || {X, Y} <- [{10, 5}, {11, 5}, {12, 6}]].

tarai(X, Y, _Z) when X =< Y -> Y;
tarai(X, Y, Z) -> tarai(tarai(X - 1, Y, Z), tarai(Y - 1, Z, X), tarai(Z - 1, X, Y)).

%% How both VMs time a benchmark (start-up and code loading excluded):
%% the best of five runs of Module:run(), in microseconds, with its result.
%% main/1 is the same for a command line (the baseline binary in
%% benches/vm.rs: `lam-translate run bench_tc.beam --entry bench_tc:main
%% -- Module`): it prints "bench_tc Microseconds Result" on one line.
-module(bench_tc).
-export([best/1, main/1]).

best(Module) ->
    lists:min([timer:tc(Module, run, []) || _ <- [1, 2, 3, 4, 5]]).

main([Module]) ->
    {Us, R} = best(list_to_atom(Module)),
    io:format("bench_tc ~w ~w~n", [Us, R]).

%% How both VMs time a benchmark (start-up and code loading excluded):
%% the best of five runs of Module:run(), in microseconds, with its result.
-module(bench_tc).
-export([best/1]).

best(Module) ->
    lists:min([timer:tc(Module, run, []) || _ <- [1, 2, 3, 4, 5]]).

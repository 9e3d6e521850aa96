%% The Erlang side of tests/re_vs_erl.rs: runs every case of re_cases.erl
%% (and the grids it describes) through `re` and prints one line per result,
%% so that erl's and LAM's outputs can be compared line by line. Nothing
%% here states an expected result: erl, run live, is the judge.
-module(re_diff).
-export([main/0]).

main() ->
    N = lists:foldl(fun(C, I) -> run_case(C, I) end, 0, re_cases:cases()),
    io:format("~w cases~n", [N]).

run_case({grid, Patterns, Subjects, OptSets}, I) ->
    lists:foldl(
      fun({P, S, O}, J) -> run_case({run, S, P, O}, J) end,
      I, [{P, S, O} || P <- Patterns, S <- Subjects, O <- OptSets]);
run_case({run, S, P, O}, I) ->
    case offset_past_end(S, O) of
        true -> I;
        false -> out(I, {run, S, P, O}, catching(fun() -> re:run(S, P, O) end))
    end;
run_case({run, S, P}, I) ->
    out(I, {run, S, P}, catching(fun() -> re:run(S, P) end));
run_case({compile, P, O}, I) ->
    out(I, {compile, P, O}, catching(fun() -> re:compile(P, O) end));
run_case({compiled, P, CO, Subjects, RO}, I) ->
    case re:compile(P, CO) of
        {ok, MP} ->
            lists:foldl(
              fun(S, J) -> out(J, {compiled, P, CO, S, RO}, catching(fun() -> re:run(S, MP, RO) end)) end,
              I, Subjects);
        Other -> out(I, {compiled, P, CO}, norm(Other))
    end;
run_case({inspect, P, CO}, I) ->
    out(I, {inspect, P, CO}, catching(fun() -> {ok, MP} = re:compile(P, CO), re:inspect(MP, namelist) end));
run_case({roundtrip, P, CO, S}, I) ->
    %% A compiled pattern survives the external term format.
    out(I, {roundtrip, P, CO, S},
        catching(fun() ->
                         {ok, MP} = re:compile(P, CO),
                         MP2 = binary_to_term(term_to_binary(MP)),
                         {MP2 =:= MP, re:run(S, MP2, [])}
                 end));
run_case({replace, S, P, R, O}, I) ->
    out(I, {replace, S, P, R, O}, catching(fun() -> re:replace(S, P, R, O) end));
run_case({replace_grid, Subjects, P, Rs, OptSets}, I) ->
    lists:foldl(
      fun({S, R, O}, J) -> out(J, {replace, S, P, R, O}, catching(fun() -> re:replace(S, P, R, O) end)) end,
      I, [{S, R, O} || S <- Subjects, R <- Rs, O <- OptSets]);
run_case({split, S, P, O}, I) ->
    out(I, {split, S, P, O}, catching(fun() -> re:split(S, P, O) end));
run_case({split_grid, Subjects, Ps, OptSets}, I) ->
    lists:foldl(
      fun({S, P, O}, J) -> out(J, {split, S, P, O}, catching(fun() -> re:split(S, P, O) end)) end,
      I, [{S, P, O} || S <- Subjects, P <- Ps, O <- OptSets]).

%% erl 25 answers an offset past the subject's end with an internal error
%% that no catch sees, ending the program: such runs are left out (LAM
%% raises badarg).
offset_past_end(S, O) ->
    case catch lists:keyfind(offset, 1, O) of
        {offset, N} when is_integer(N) ->
            try N > iolist_size(S) catch _:_ -> false end;
        _ -> false
    end.

catching(F) ->
    try norm(F()) catch C:R -> {C, R} end.

norm({ok, {re_pattern, N, U, C, B}}) when is_binary(B) -> {ok, {re_pattern, N, U, C}};
norm({re_pattern, N, U, C, B}) when is_binary(B) -> {re_pattern, N, U, C};
norm({A, B}) -> {norm(A), norm(B)};
norm(X) -> X.

out(I, Case, Result) ->
    io:format("~w ~w => ~w~n", [I, Case, Result]),
    I + 1.

# Elixir's Enum pipelines: map, filter, chunk, sum and reduce over 300k
# integers (timed inside each VM by bench_tc, as the Erlang programs are).
defmodule :bench_ex_enum do
  def run do
    1..300_000
    |> Enum.map(&(&1 * 3))
    |> Enum.filter(&(rem(&1, 2) == 0))
    |> Enum.chunk_every(4)
    |> Enum.map(&Enum.sum/1)
    |> Enum.with_index()
    |> Enum.reduce(0, fn {s, i}, acc -> acc + rem(s * i, 1_000_003) end)
  end
end

# Protocol dispatch (not consolidated, as elixirc leaves it) and struct
# access: 200 passes over 1,000 shapes of two kinds.
defprotocol BenchEx.Shape do
  def area(shape)
end

defmodule BenchEx.Square do
  defstruct [:side]
end

defmodule BenchEx.Circle do
  defstruct [:r]
end

defimpl BenchEx.Shape, for: BenchEx.Square do
  def area(%{side: s}), do: s * s
end

defimpl BenchEx.Shape, for: BenchEx.Circle do
  def area(%{r: r}), do: 3 * r * r
end

defmodule :bench_ex_protocol do
  def run do
    shapes =
      for i <- 1..1000 do
        if rem(i, 2) == 0, do: %BenchEx.Square{side: i}, else: %BenchEx.Circle{r: i}
      end

    Enum.reduce(1..200, 0, fn _, acc ->
      acc + Enum.reduce(shapes, 0, &(BenchEx.Shape.area(&1) + &2))
    end)
  end
end

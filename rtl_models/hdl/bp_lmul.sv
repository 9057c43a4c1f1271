// L-Mul in its integer-add form (Luo & Sun 2024, "Addition is All You Need"):
//   |z| = {e_x, m_x} + {e_y, m_y} - (BIAS << MAN_BITS) + 2^(MAN_BITS - L),   sign = s_x ^ s_y
// One adder on the bit patterns: a mantissa carry runs into the exponent. No subnormal
// path: a zero exponent field in either operand, or a sum below the smallest normal,
// gives a (signed) zero; sums above MAX_MAG saturate to it. Inputs with an all-ones
// exponent are added like any other pattern (there is no NaN/infinity path).
module bp_lmul #(
    parameter int EXP_BITS = 8,
    parameter int MAN_BITS = 7,
    parameter int BIAS = 127,
    parameter int L = 4,            // l(m): 2^-L is the mantissa offset term
    parameter int MAX_MAG = 32639,  // largest magnitude code (0x7f7f for bf16)
    parameter int W = 1 + EXP_BITS + MAN_BITS
) (
    input  logic [W-1:0] x,
    input  logic [W-1:0] y,
    output logic [W-1:0] z
);
  localparam int MW = W - 1;  // magnitude bits
  localparam int SW = MW + 3; // signed sum: two magnitudes plus sign headroom
  localparam logic signed [SW-1:0] OFFSET = SW'((1 << (MAN_BITS - L)) - (BIAS << MAN_BITS));
  localparam logic signed [SW-1:0] MIN_NORMAL = SW'(1 << MAN_BITS);
  localparam logic signed [SW-1:0] MAX_CODE = SW'(MAX_MAG);

  logic signed [SW-1:0] total;
  logic zero;
  logic [MW-1:0] mag;

  always @* begin
    total = $signed(SW'(x[MW-1:0])) + $signed(SW'(y[MW-1:0])) + OFFSET;
    zero = (x[MW-1:MAN_BITS] == '0) || (y[MW-1:MAN_BITS] == '0) || (total < MIN_NORMAL);
    if (zero) mag = '0;
    else if (total > MAX_CODE) mag = MAX_MAG[MW-1:0];
    else mag = total[MW-1:0];
    z = {x[MW] ^ y[MW], mag};
  end
endmodule

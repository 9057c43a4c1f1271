// A mixed-format block dot: one K-lane unit that runs MXINT8 (is_int = 1) or MXFP8 E4M3
// (is_int = 0) blocks, both with E8M0 scales, selected per block by an input. It is the
// organisation of ivf_dot (ivf_dot.sv: per-lane exponent add, max-exponent compare, align
// shifter into an N-bit window, adder tree, shared normaliser, scale dequantizer) with
// everything that can be shared shared:
//   - one signed 8x8 multiplier per lane (ivf_mul_mix): INT8 codes as they are, or the two
//     4-bit E4M3 significands zero-extended (their product, at most 15 * 15, is positive);
//   - one adder tree over signed lane values: the INT8 product sign-extended, or the
//     window-aligned E4M3 product magnitude with its sign applied;
//   - one E8M0 scale adder and one normaliser; only the LSB exponent is selected by format.
// The exponent path (decoders, max-exponent compare, aligners) serves the FP8 blocks only.
// Arithmetic: exactly ivf_dot's MXINT8 point for integer blocks and its MXFP8 E4M3 point
// (window N = 24, the paper's eq. 44) for float blocks; rtl_models/models/ivf_mix.py.

module ivf_mix #(
    parameter int K = 32,
    parameter int N = 24
) (
    input  logic [K*8-1:0] a,
    input  logic [K*8-1:0] b,
    input  logic [7:0]     xa,
    input  logic [7:0]     xb,
    input  logic           is_int,
    output logic [31:0]    result
);
  localparam int TW = 5;                    // E4M3 product exponent: shift_a + shift_b
  localparam int AW = N + 1;                // a lane's signed value
  localparam int SUMW = AW + $clog2(K) + 1;
  localparam int EW = 12;
  localparam int FRAC_INT = 6;              // an INT8 element is code * 2^-6
  localparam int FRAC_FP = 9;               // E4M3: BIAS - 1 + MAN_BITS

  logic [K-1:0] neg, nan_e, nonzero;
  logic [K*16-1:0] prod;
  logic [K*TW-1:0] t;
  logic [K*N-1:0] aligned;
  logic [K*AW-1:0] v;
  logic [TW-1:0] top;
  genvar gi;
  generate
    for (gi = 0; gi < K; gi++) begin : g_lane
      ivf_mul_mix u_mul (
          .a(a[gi*8 +: 8]), .b(b[gi*8 +: 8]), .is_int(is_int), .neg(neg[gi]),
          .prod(prod[gi*16 +: 16]), .t(t[gi*TW +: TW]), .nan(nan_e[gi]));
      assign nonzero[gi] = |prod[gi*16 +: 8];
      ivf_align #(.MW(8), .TW(TW), .N(N)) u_align (
          .mag(prod[gi*16 +: 8]), .t(t[gi*TW +: TW]), .top(top), .aligned(aligned[gi*N +: N]));
      assign v[gi*AW +: AW] = is_int ? AW'($signed(prod[gi*16 +: 16]))
                            : neg[gi] ? -(AW'(aligned[gi*N +: N])) : AW'(aligned[gi*N +: N]);
    end
  endgenerate
  ivf_maxexp #(.K(K), .TW(TW)) u_maxexp (.t(t), .nonzero(nonzero), .top(top));

  logic signed [SUMW-1:0] sum;
  logic [SUMW-1:0] abs_sum;
  ivf_tree #(.K(K), .AW(AW), .SIGNED_IN(1)) u_tree (.v(v), .neg('0), .sum(sum));
  assign abs_sum = sum[SUMW-1] ? -sum : sum;

  logic [SUMW+7:0] scaled;
  logic signed [EW-1:0] sexp, lsb;
  logic snan;
  ivf_scale #(.MW(SUMW), .SCALE(0), .EW(EW)) u_scale (
      .mag(abs_sum), .xa(xa), .xb(xb), .scaled(scaled), .sexp(sexp), .nan(snan));
  // LSB of the window: 2^(top - 2 FRAC_FP + 8 - N) for FP8, 2^(-2 FRAC_INT) for INT8.
  assign lsb = is_int ? sexp - EW'(2 * FRAC_INT) : sexp + EW'(top) + EW'(8 - N - 2 * FRAC_FP);
  ivf_norm #(.MW(SUMW + 8), .EW(EW)) u_norm (
      .sign(sum[SUMW-1]), .mag(scaled), .lsb_exp(lsb), .nan((|nan_e) | snan), .result(result));
endmodule

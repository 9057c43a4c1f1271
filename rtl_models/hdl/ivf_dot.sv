// The block-dot organisation costed by "INT v.s. FP" (Chen et al., arXiv 2510.25602,
// appendix C and Table 6): K lanes of element multipliers; for floats a per-lane exponent
// add, one max-exponent compare over the lanes, a per-lane shift of each product into a
// fixed N-bit window, a K-input integer adder tree and ONE shared normaliser; for integers
// no alignment; then the block-scale dequantizer (E8M0: an exponent add; UE4M3: a 4x4-bit
// significand multiply and an exponent add). Each sub-block is its own module so that a
// synthesis flow can report area per sub-block from the hierarchy.
//
// Arithmetic (the paper fixes the window width n = min(2^(x+1) + 2y, 24), eq. 44; the rest
// is ours and is modelled in rtl_models/models/ivf_dot.py):
//   element: |value| = sig * 2^(shift - FRAC) (bp_elem_decode); product exponent
//     t = shift_a + shift_b, product significand psig = sig_a * sig_b (2*MAN_BITS+2 bits);
//   top = max t over the non-zero products;
//   aligned = (psig << (N - 2*MAN_BITS - 2)) >> (top - t): bits shifted out are dropped
//     (truncation of the magnitude, i.e. toward zero), the sign applied afterwards;
//   sum = exact two's complement sum of the K signed window values;
//   result = sum * scale * 2^lsb rounded once to FP32 (round to nearest even, subnormals,
//     overflow to infinity); an exact zero is +0 (a negative result that rounds to zero is
//     -0); a NaN element or scale gives 0x7fc00000.
// Integers: the two's complement products a * b summed exactly (a signed multiplier, no
// window, no sign-magnitude step), the rest as above.

module ivf_dot #(
    parameter int W = 8,
    parameter int EXP_BITS = 4,
    parameter int MAN_BITS = 3,
    parameter int BIAS = 7,
    parameter int NAN_ENC = 1,
    parameter int IS_INT = 0,
    parameter int FRAC = IS_INT != 0 ? W - 2 : BIAS - 1 + MAN_BITS,  // element fraction bits
    parameter int K = 32,
    parameter int SCALE = 0,
    parameter int N = 24
) (
    input  logic [K*W-1:0] a,
    input  logic [K*W-1:0] b,
    input  logic [7:0]     xa,
    input  logic [7:0]     xb,
    output logic [31:0]    result
);
  localparam int SW = (IS_INT != 0) ? W : MAN_BITS + 1;
  localparam int XW = (IS_INT != 0) ? 1 : EXP_BITS;
  localparam int MW = 2 * SW;
  localparam int AW = (IS_INT != 0) ? MW : N;
  localparam int SUMW = AW + $clog2(K) + 1;
  localparam int EW = 12;

  logic [K-1:0] neg, nan_e;
  logic [K*MW-1:0] prod;
  // Integer lanes have no exponents: t and nonzero feed the float aligner only.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [K-1:0] nonzero;
  logic [K*(XW+1)-1:0] t;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [K*AW-1:0] v;
  logic [XW:0] top;
  genvar gi;
  generate
    for (gi = 0; gi < K; gi++) begin : g_lane
      ivf_mul #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC),
                .IS_INT(IS_INT)) u_mul (
          .a(a[gi*W +: W]), .b(b[gi*W +: W]), .neg(neg[gi]), .prod(prod[gi*MW +: MW]),
          .t(t[gi*(XW+1) +: XW+1]),
          .nan(nan_e[gi]));
      assign nonzero[gi] = |prod[gi*MW +: MW];
    end
    if (IS_INT != 0) begin : g_int
      for (gi = 0; gi < K; gi++) begin : g_pass
        assign v[gi*AW +: AW] = prod[gi*MW +: MW];
      end
      assign top = '0;
    end else begin : g_fp
      ivf_maxexp #(.K(K), .TW(XW + 1)) u_maxexp (.t(t), .nonzero(nonzero), .top(top));
      for (gi = 0; gi < K; gi++) begin : g_align
        ivf_align #(.MW(MW), .TW(XW + 1), .N(N)) u_align (
            .mag(prod[gi*MW +: MW]), .t(t[gi*(XW+1) +: XW+1]), .top(top),
            .aligned(v[gi*AW +: AW]));
      end
    end
  endgenerate

  logic signed [SUMW-1:0] sum;
  logic [SUMW-1:0] abs_sum;
  ivf_tree #(.K(K), .AW(AW), .SIGNED_IN(IS_INT)) u_tree (.v(v), .neg(neg), .sum(sum));
  assign abs_sum = sum[SUMW-1] ? -sum : sum;

  logic [SUMW+7:0] scaled;
  logic signed [EW-1:0] sexp, lsb;
  logic snan;
  ivf_scale #(.MW(SUMW), .SCALE(SCALE), .EW(EW)) u_scale (
      .mag(abs_sum), .xa(xa), .xb(xb), .scaled(scaled), .sexp(sexp), .nan(snan));
  // LSB of the window: 2^(top - 2 FRAC + MW - N) for floats, 2^(-2 FRAC) for integers.
  assign lsb = (IS_INT != 0) ? sexp - EW'(2 * FRAC)
                             : sexp + EW'(top) + EW'(MW - N - 2 * FRAC);
  ivf_norm #(.MW(SUMW + 8), .EW(EW)) u_norm (
      .sign(sum[SUMW-1]), .mag(scaled), .lsb_exp(lsb), .nan((|nan_e) | snan), .result(result));
endmodule

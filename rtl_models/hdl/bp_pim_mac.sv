// One lane of a Logic-PIM GEMM module (Duplex, MICRO 2024): an FP16 or BF16 multiply and
// FP32 accumulate a cycle, acc <= fl32(acc + a * b), a fused multiply-add rounded once
// (round to nearest even, FP32 subnormals, overflow to infinity). fmt selects how a and
// b are read: 0 = FP16 (e5m10, bias 15), 1 = BF16 (e8m7, bias 127); the product is exact.
//
// Datapath: product and accumulator are each normalized to a 24-bit significand X (top
// bit set unless zero) with the exponent e of its LSB. The operand with the larger e
// ("major") sits at the top of a 51-bit window, X_major * 2^27; the other ("minor") is
// shifted right by D = e_major - e_minor and every bit shifted out is ORed into its
// lowest window bit. That is rounding to odd at the window's precision, which commutes
// with adding or subtracting the even major operand, so one RNE of the window result
// equals RNE of the exact sum whenever the window keeps 2 bits below FP32's rounding
// position. Bits are lost only when D > 27, and then the result exceeds 2^49 window
// units, 26 bits above the LSB; with D <= 27 (every cancellation) the sum is exact.
// Zeros follow IEEE 754: an exact zero sum of non-zero terms is +0, (-0) + (-0) = -0, and
// a non-zero result that rounds to zero keeps its sign. NaN (NaN operand, inf * 0,
// inf - inf) gives 0x7fc00000; infinities propagate.
module bp_pim_mac (
    input  logic        clk,
    input  logic        clear,  // acc <= +0
    input  logic        en,     // acc <= acc + a * b
    input  logic        fmt,    // 0 = FP16, 1 = BF16
    input  logic [15:0] a,
    input  logic [15:0] b,
    output logic [31:0] acc
);
  localparam int EW = 12;  // signed exponent arithmetic
  localparam int GUARD = 27;
  localparam int WW = 24 + GUARD;

  // operands: a, b (FP16/BF16) and the accumulator (FP32)
  logic sa, sb, za, zb, ia, ib, na, nb;
  logic [10:0] ga, gb;
  logic signed [EW-1:0] la, lb;
  bp_pim_decode16 #(.EW(EW)) u_da (.x(a), .bf16(fmt), .sign(sa), .zero(za), .inf(ia),
                                   .nan(na), .sig(ga), .lsb(la));
  bp_pim_decode16 #(.EW(EW)) u_db (.x(b), .bf16(fmt), .sign(sb), .zero(zb), .inf(ib),
                                   .nan(nb), .sig(gb), .lsb(lb));
  wire acc_special = (acc[30:23] == 8'hff);
  wire acc_nan = acc_special && (acc[22:0] != 0);
  wire acc_inf = acc_special && (acc[22:0] == 0);
  wire [23:0] acc_sig = {acc[30:23] != 0, acc[22:0]};
  wire signed [EW-1:0] acc_lsb = EW'({1'b0, (acc[30:23] == 0) ? 8'd1 : acc[30:23]}) - EW'(150);

  // product (exact: at most 22 bits) and both terms normalized
  wire [21:0] prod_sig = ga * gb;
  wire prod_sign = sa ^ sb;
  wire prod_nan = na || nb || (ia && zb) || (za && ib);
  wire prod_inf = (ia || ib) && !prod_nan;
  logic [23:0] xp, xc;
  logic signed [EW-1:0] ep, ec;
  bp_pim_normalize #(.EW(EW)) u_np (.sig({2'b0, prod_sig}), .lsb(la + lb), .sig_n(xp), .lsb_n(ep));
  bp_pim_normalize #(.EW(EW)) u_nc (.sig(acc_sig), .lsb(acc_lsb), .sig_n(xc), .lsb_n(ec));

  logic major_sign, minor_sign, sticky, sum_sign, nan, inf;
  logic [23:0] major_sig, minor_sig;
  logic signed [EW-1:0] major_lsb, diff;
  logic [WW-1:0] major_w, minor_w, minor_full;
  logic [WW:0] sum;
  logic [31:0] next;

  always @* begin
    nan = prod_nan || acc_nan || (prod_inf && acc_inf && prod_sign != acc[31]);
    inf = !nan && (prod_inf || acc_inf);
    // major: the larger LSB exponent, or the non-zero term
    if (xc == 0 || (xp != 0 && ep > ec)) begin
      {major_sign, major_sig, major_lsb} = {prod_sign, xp, ep};
      {minor_sign, minor_sig} = {acc[31], xc};
      diff = ep - ec;
    end else begin
      {major_sign, major_sig, major_lsb} = {acc[31], xc, ec};
      {minor_sign, minor_sig} = {prod_sign, xp};
      diff = ec - ep;
    end
    major_w = {major_sig, GUARD'(0)};
    minor_full = {minor_sig, GUARD'(0)};
    if (diff < 0 || minor_sig == 0) begin  // a zero minor term (its exponent is meaningless)
      minor_w = '0;
      sticky = 1'b0;
    end else if (diff >= EW'(WW)) begin
      minor_w = '0;
      sticky = 1'b1;
    end else begin
      minor_w = minor_full >> diff;
      sticky = (minor_w << diff) != minor_full;
    end
    minor_w[0] = minor_w[0] | sticky;
    if (major_sign == minor_sign) begin
      sum = {1'b0, major_w} + {1'b0, minor_w};
      sum_sign = major_sign;
    end else if (major_w >= minor_w) begin
      sum = {1'b0, major_w - minor_w};
      sum_sign = major_sign;
    end else begin
      sum = {1'b0, minor_w - major_w};
      sum_sign = minor_sign;
    end
    if (major_sig == 0) sum_sign = prod_sign && acc[31];  // both zero: -0 only for -0 + -0
    else if (sum == 0) sum_sign = 1'b0;                     // exact cancellation: +0
    if (inf) sum_sign = prod_inf ? prod_sign : acc[31];
  end

  bp_to_fp32 #(.MW(WW + 1), .EW(EW)) u_round (
      .sign(sum_sign), .mag(sum), .sticky(1'b0), .lsb_exp(major_lsb - EW'(GUARD)),
      .nan(nan), .inf(inf), .result(next));

  always_ff @(posedge clk) begin
    if (clear) acc <= 32'h0;
    else if (en) acc <= next;
  end
endmodule

// The lane's two helper modules live in its file.
/* verilator lint_off DECLFILENAME */

// An FP16 (bf16 = 0) or BF16 (bf16 = 1) code as sign, significand (hidden bit included)
// and the exponent of the significand's LSB.
module bp_pim_decode16 #(
    parameter int EW = 12
) (
    input  logic                 bf16,
    input  logic [15:0]          x,
    output logic                 sign,
    output logic                 zero,
    output logic                 inf,
    output logic                 nan,
    output logic [10:0]          sig,
    output logic signed [EW-1:0] lsb
);
  logic [7:0] e;
  logic [9:0] m;
  logic special;
  always @* begin
    e = bf16 ? x[14:7] : {3'b0, x[14:10]};
    m = bf16 ? {3'b0, x[6:0]} : x[9:0];
    special = bf16 ? (e == 8'hff) : (e == 8'd31);
    sign = x[15];
    zero = (e == 0) && (m == 0);
    inf = special && (m == 0);
    nan = special && (m != 0);
    if (e == 0) sig = {1'b0, m};
    else sig = bf16 ? {3'b0, 1'b1, m[6:0]} : {1'b1, m};
    lsb = EW'({1'b0, (e == 0) ? 8'd1 : e}) - (bf16 ? EW'(134) : EW'(25));
  end
endmodule

// sig shifted left until bit 23 is set (unless sig is zero), lsb lowered to match.
module bp_pim_normalize #(
    parameter int EW = 12
) (
    input  logic [23:0]          sig,
    input  logic signed [EW-1:0] lsb,
    output logic [23:0]          sig_n,
    output logic signed [EW-1:0] lsb_n
);
  logic [4:0] top;
  always @* begin
    top = 5'd0;
    for (int i = 0; i < 24; i++) if (sig[i]) top = 5'(i);
    sig_n = (sig == 0) ? sig : sig << (5'd23 - top);
    lsb_n = (sig == 0) ? lsb : lsb - EW'(5'd23 - top);
  end
endmodule
/* verilator lint_on DECLFILENAME */

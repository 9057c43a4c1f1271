// FP32 -> MX block quantizer, OCP MX v1.0 "floor" scale rule:
//   shared_exp = clamp(floor(log2(amax)) - EMAX, -127, 127), scale = shared_exp + 127;
//   element_i = RNE(x_i / 2^shared_exp) on the element grid (subnormals included), with
//   magnitudes beyond the element's largest finite value clamped to it (saturation).
// A block holding NaN or infinity gets scale 0xFF and all-zero element codes; an all-zero
// block gets scale 0. Element signs follow the input signs (-0 stays a negative zero).
module bp_mx_quantize #(
    parameter int K = 32,
    parameter int EXP_BITS = 4,
    parameter int MAN_BITS = 3,
    parameter int BIAS = 7,
    parameter int EMAX = 8,         // exponent of the largest finite element
    parameter int MAX_MAG = 126,     // magnitude code of the largest finite element
    parameter int W = 1 + EXP_BITS + MAN_BITS
) (
    input  logic [K*32-1:0] x,
    output logic [7:0]      scale,
    output logic [K*W-1:0]  codes
);
  localparam int EW = 12;
  localparam logic signed [EW-1:0] SE_MIN = -127;
  localparam logic signed [EW-1:0] SE_MAX = 127;
  localparam logic signed [EW-1:0] EMIN_E = EW'(1 - BIAS);
  localparam logic signed [EW-1:0] EMAX_E = EW'(EMAX);

  logic bad;
  logic [30:0] amax;
  logic signed [EW-1:0] floor_log2, se;
  logic [4:0] top_bit;

  // ---------------------------------------------------------------- shared exponent
  always @* begin
    bad = 1'b0;
    amax = '0;
    for (int i = 0; i < K; i++) begin
      if (&x[i*32+23 +: 8]) bad = 1'b1;
      else if (x[i*32 +: 31] > amax) amax = x[i*32 +: 31];
    end
    top_bit = '0;
    for (int b = 0; b < 23; b++) if (amax[b]) top_bit = 5'(b);
    floor_log2 = (amax[30:23] != 8'd0) ? EW'({1'b0, amax[30:23]}) - EW'(127)
                                       : EW'({1'b0, top_bit}) - EW'(149);
    se = floor_log2 - EMAX_E;
    if (amax == '0 || se < SE_MIN) se = SE_MIN;
    if (se > SE_MAX) se = SE_MAX;
  end
  assign scale = bad ? 8'hff : 8'(se + EW'(127));

  // ---------------------------------------------------------------- elements
  for (genvar gi = 0; gi < K; gi++) begin : g_el
    logic [31:0] xi;
    logic [24:0] sig, lost_mask;
    // Only kept[MAN_BITS+1:0] can be set after the shift (lead <= q + MAN_BITS).
    /* verilator lint_off UNUSEDSIGNAL */
    logic [24:0] kept;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [EW+MAN_BITS-1:0] full;
    logic signed [EW-1:0] lsb, lead, q, r, exp_field;
    logic [4:0] pos;
    logic round_bit, rest;
    logic [MAN_BITS+1:0] n;
    logic [EXP_BITS+MAN_BITS-1:0] mag;
    assign xi = x[gi*32 +: 32];
    always @* begin
      sig = {1'b0, xi[30:23] != 8'd0, xi[22:0]};
      lsb = EW'({1'b0, (xi[30:23] != 8'd0) ? xi[30:23] : 8'd1}) - EW'(150) - se;
      pos = '0;
      for (int b = 0; b < 24; b++) if (sig[b]) pos = 5'(b);
      lead = lsb + EW'(pos);
      q = ((lead > EMIN_E) ? lead : EMIN_E) - EW'(MAN_BITS);
      r = q - lsb;
      kept = '0;
      round_bit = 1'b0;
      rest = 1'b0;
      lost_mask = '0;
      if (r <= 0) begin
        kept = sig << (-r);
      end else if (r <= EW'(25)) begin
        kept = sig >> r;
        round_bit = sig[r-1];
        lost_mask = ~(25'h1ffffff << (r - 1));
        rest = |(sig & lost_mask);
      end
      n = (MAN_BITS+2)'(kept) + {(MAN_BITS+1)'(0), round_bit & (rest | kept[0])};
      if (n[MAN_BITS+1]) begin
        n = n >> 1;
        q = q + EW'(1);
      end
      exp_field = n[MAN_BITS] ? q + EW'(MAN_BITS + BIAS) : '0;
      full = {exp_field, n[MAN_BITS-1:0]};  // exp_field >= 0
      mag = (full > (EW+MAN_BITS)'(MAX_MAG)) ? (EXP_BITS+MAN_BITS)'(MAX_MAG)
                                              : full[EXP_BITS+MAN_BITS-1:0];
      if (sig == '0) mag = '0;
    end
    assign codes[gi*W +: W] = bad ? '0 : {xi[31], mag};
  end
endmodule

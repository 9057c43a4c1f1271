// Bit-serial PE in the style of BitMoD (Chen et al., HPCA 2025): DW weight/activation
// pairs a cycle, weights BPC bits a cycle (least significant digit first), FP16
// activations held in parallel, one FP16 scale per group of G weights applied once.
//
// Weight types (wtype): 0 int4, 1 int3 (two's complement); 2 fp4, 3 fp3 (BitMoD's
// sign-magnitude FP4 {0,1,2,3,4,6,8,12} and FP3 {0,1,2,4}); 4..7 fp4 with the -0 code
// redefined as +10, -10 (ER), +16, -16 (EA); 8..11 fp3 with -0 as +3, -3 (ER), +6, -6
// (EA). Codes 12..15 are reserved. A weight decodes to a signed significand s (3 bits
// for 3-bit types, 4 for 4-bit ones) and a left shift h: w = s * 2^h (10 = 5 * 2^1).
// The serial digits are s's two's complement bit planes, BPC bits each, the top digit
// signed: a 4-bit type takes ceil(4/BPC) cycles a step, a 3-bit one ceil(3/BPC).
//
// Each cycle: acc += sum_i digit_i * a_i * 2^(h_i + BPC*c), exactly, with a_i on the
// 2^-24 grid of FP16 (shift-and-add only: digits are in -2..3). After G/DW steps one
// more cycle rounds acc * scale once to FP32 (round to nearest even; no overflow or
// subnormal is possible). A NaN or infinite activation or scale gives the canonical NaN;
// an exact zero gives +0. busy is high for (G/DW) * ceil(bits/BPC) + 1 cycles a group.
module bp_bitserial_pe #(
    parameter int DW = 4,   // dot width: pairs a cycle
    parameter int G = 8,    // group length, a multiple of DW: one scale a group
    parameter int BPC = 2,  // weight bits a cycle: 1 or 2
    parameter int AW = 56   // accumulator bits (two's complement)
) (
    input  logic            clk,
    input  logic            rst,     // synchronous: back to idle
    input  logic            start,   // load a group; ignored while busy
    input  logic [3:0]      wtype,
    input  logic [G*4-1:0]  w,
    input  logic [G*16-1:0] a,
    input  logic [15:0]     scale,
    output logic            busy,
    output logic [31:0]     result   // valid once busy falls, held until the next start
);
  localparam int STEPS = G / DW;
  localparam int SB = (STEPS > 1) ? $clog2(STEPS) : 1;

  typedef enum logic [1:0] {IDLE, RUN, DEQ} state_t;
  state_t state;
  logic [3:0] wtype_q;
  logic [G*4-1:0] w_q;
  logic [G*16-1:0] a_q;
  logic [15:0] scale_q;
  logic [SB-1:0] step;
  logic [2:0] digit;
  logic signed [AW-1:0] acc, partial;
  logic [2:0] last_digit;
  logic nan;

  assign busy = (state != IDLE);

  // 4-bit weight types: int4, fp4 and its ER/EA variants (the others are 3-bit)
  function automatic logic four_bit(input logic [3:0] t);
    four_bit = (t == 4'd0) || (t == 4'd2) || (t >= 4'd4 && t <= 4'd7);
  endfunction

  // {h[2:0], s[3:0]}: the weight as a signed significand and a shift
  function automatic logic [6:0] decode_weight(input logic [3:0] t, input logic [3:0] code);
    logic four, neg;
    logic [2:0] mag, h;
    logic [3:0] m;
    four = four_bit(t);
    neg = four ? code[3] : code[2];
    mag = four ? code[2:0] : {1'b0, code[1:0]};
    m = 4'd0;
    h = 3'd0;
    if (t <= 4'd1) begin  // two's complement integers
      neg = 1'b0;
      m = four ? code : {code[2], code[2:0]};
    end else if (neg && mag == 3'd0 && t >= 4'd4) begin  // the -0 code holds the extra value
      neg = t[0];  // odd types carry the negative extra value
      case (t[3:1])
        3'd2: begin m = 4'd5; h = 3'd1; end     // fp4 ER: 10
        3'd3: begin m = 4'd1; h = 3'd4; end     // fp4 EA: 16
        3'd4: begin m = 4'd3; h = 3'd0; end     // fp3 ER: 3
        default: begin m = 4'd3; h = 3'd1; end  // fp3 EA: 6
      endcase
    end else if (four) begin
      case (mag)  // 0 1 2 3 4 6 8 12
        3'd1: m = 4'd1;
        3'd2: begin m = 4'd1; h = 3'd1; end
        3'd3: m = 4'd3;
        3'd4: begin m = 4'd1; h = 3'd2; end
        3'd5: begin m = 4'd3; h = 3'd1; end
        3'd6: begin m = 4'd1; h = 3'd3; end
        3'd7: begin m = 4'd3; h = 3'd2; end
        default: m = 4'd0;
      endcase
    end else begin
      case (mag)  // 0 1 2 4
        3'd1: m = 4'd1;
        3'd2: begin m = 4'd1; h = 3'd1; end
        3'd3: begin m = 4'd1; h = 3'd2; end
        default: m = 4'd0;
      endcase
    end
    decode_weight = {h, neg ? -m : m};
  endfunction

  // FP16 on the 2^-24 grid, signed
  function automatic logic signed [AW-1:0] fp16_fixed(input logic [15:0] x);
    logic [AW-1:0] mag;
    mag = (x[14:10] == 5'd0) ? AW'(x[9:0]) : (AW'({1'b1, x[9:0]}) << (x[14:10] - 5'd1));
    fp16_fixed = x[15] ? -$signed(mag) : $signed(mag);
  endfunction

  // digit c of a 4-bit two's complement significand (bit planes, top digit signed)
  function automatic logic signed [2:0] weight_digit(input logic [3:0] s, input logic [2:0] c,
                                                     input logic top);
    logic [1:0] bits;
    bits = (BPC == 2) ? s[c*2 +: 2] : {1'b0, s[c[1:0]]};
    if (!top) weight_digit = $signed({1'b0, bits});
    else if (BPC == 2) weight_digit = $signed({bits[1], bits});
    else weight_digit = -$signed({2'b0, bits[0]});
  endfunction

  always @* begin : digit_sum
    logic [6:0] d;
    logic signed [2:0] dig;
    logic signed [AW-1:0] t;
    partial = '0;
    for (int i = 0; i < DW; i++) begin
      d = decode_weight(wtype_q, w_q[(int'(step) * DW + i) * 4 +: 4]);
      dig = weight_digit(d[3:0], digit, digit == last_digit);
      t = fp16_fixed(a_q[(int'(step) * DW + i) * 16 +: 16]) <<< (d[6:4] + 3'(BPC) * digit);
      case (dig)  // shift and add: digits lie in -2..3
        3'sd1: partial = partial + t;
        3'sd2: partial = partial + (t <<< 1);
        3'sd3: partial = partial + t + (t <<< 1);
        -3'sd1: partial = partial - t;
        -3'sd2: partial = partial - (t <<< 1);
        default: partial = partial;
      endcase
    end
  end

  // cycles a step - 1: ceil(bits / BPC) - 1 for 4-bit (int4, fp4*) and 3-bit types
  always @* begin : digits_per_step
    last_digit = 3'((four_bit(wtype_q) ? 4 : 3) + BPC - 1) / 3'(BPC) - 3'd1;
  end

  always @* begin
    nan = (scale_q[14:10] == 5'h1f);
    for (int i = 0; i < G; i++) nan = nan | (a_q[i*16+10 +: 5] == 5'h1f);
  end

  // dequantization: |acc| * scale significand, on the 2^(max(E,1) - 49) grid
  logic [AW-1:0] acc_mag;
  logic [AW+10:0] deq_mag;
  logic signed [7:0] deq_lsb;
  logic [31:0] deq;
  assign acc_mag = acc[AW-1] ? AW'(-acc) : AW'(acc);
  assign deq_mag = acc_mag * {scale_q[14:10] != 5'd0, scale_q[9:0]};
  assign deq_lsb = 8'(((scale_q[14:10] == 5'd0) ? 1 : int'(scale_q[14:10])) - 49);
  bp_to_fp32 #(.MW(AW + 11), .EW(8)) u_round (
      .sign(acc[AW-1] ^ scale_q[15]), .mag(deq_mag), .sticky(1'b0), .lsb_exp(deq_lsb),
      .nan(nan), .inf(1'b0), .result(deq));

  always_ff @(posedge clk) begin
    if (rst) state <= IDLE;
    else case (state)
      IDLE: if (start) begin
        state <= RUN;
        {wtype_q, w_q, a_q, scale_q} <= {wtype, w, a, scale};
        acc <= '0;
        step <= '0;
        digit <= '0;
      end
      RUN: begin
        acc <= acc + partial;
        if (digit != last_digit) digit <= digit + 3'd1;
        else begin
          digit <= '0;
          if (int'(step) == STEPS - 1) state <= DEQ;
          else step <= step + SB'(1);
        end
      end
      default: begin
        result <= (deq[30:0] == '0) ? 32'h0 : deq;  // an exact zero is +0
        state <= IDLE;
      end
    endcase
  end
endmodule

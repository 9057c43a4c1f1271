// Testbench wrapper of bp_bitserial_pe for unit bitserial_pe: lane bpc2 (2 weight bits a
// cycle) and lane bpc1 (1 bit a cycle), each with its own group (field layout as
// rtl_models/models/bitserial_pe.py). A beat starts both PEs; in_ready stays low until
// both are idle again, then one out_valid beat carries each lane's FP32 result and the
// number of cycles its PE was busy.
module tb_bitserial_pe (
    input  logic         clk,
    input  logic         in_valid,
    output logic         in_ready,
    input  logic [359:0] in_data,
    output logic         out_valid,
    output logic [79:0]  out_data
);
  // per lane (180 bits): wtype [3:0], w [35:4] (8 x 4), a [163:36] (8 x 16), scale [179:164]
  logic start, busy2, busy1;
  // Power-on values of the testbench's own registers (the ports have no reset); the PEs
  // get a synchronous reset from them.
  /* verilator lint_off PROCASSINIT */
  logic pending = 1'b0;
  logic [1:0] power_on = 2'b11;  // two cycles of reset for the PEs
  /* verilator lint_on PROCASSINIT */
  wire rst = power_on[0];
  logic [31:0] res2, res1;
  logic [7:0] cycles2, cycles1;
  assign in_ready = !pending && !rst;
  assign start = in_valid && in_ready;

  bp_bitserial_pe #(.BPC(2)) u_bpc2 (
      .clk(clk), .rst(rst), .start(start), .wtype(in_data[3:0]), .w(in_data[35:4]), .a(in_data[163:36]),
      .scale(in_data[179:164]), .busy(busy2), .result(res2));
  bp_bitserial_pe #(.BPC(1)) u_bpc1 (
      .clk(clk), .rst(rst), .start(start), .wtype(in_data[183:180]), .w(in_data[215:184]),
      .a(in_data[343:216]), .scale(in_data[359:344]), .busy(busy1), .result(res1));

  always_ff @(posedge clk) begin
    power_on <= power_on >> 1;
    out_valid <= 1'b0;
    if (start) begin
      pending <= 1'b1;
      cycles2 <= '0;
      cycles1 <= '0;
    end else if (pending) begin
      if (busy2) cycles2 <= cycles2 + 8'd1;
      if (busy1) cycles1 <= cycles1 + 8'd1;
      if (!busy2 && !busy1) begin
        pending <= 1'b0;
        out_valid <= 1'b1;
        out_data <= {cycles1, res1, cycles2, res2};
      end
    end
  end
endmodule

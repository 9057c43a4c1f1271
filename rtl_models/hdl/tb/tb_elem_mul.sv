// Testbench wrapper of bp_elem_mul: COPIES blocks, each with one lane per element format
// pair (order and field layout as rtl_models/models/elem_mul.py); inputs and outputs
// registered (latency 2).
module tb_elem_mul #(
    parameter int COPIES = 16
) (
    input  logic                  clk,
    input  logic                  in_valid,
    output logic                  in_ready,
    input  logic [COPIES*106-1:0] in_data,
    output logic                  out_valid,
    output logic [COPIES*252-1:0] out_data
);
  logic [COPIES*106-1:0] q;
  logic [COPIES*252-1:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(COPIES*106), .OW(COPIES*252)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));
  for (genvar c = 0; c < COPIES; c++) begin : g_copy
    tb_elem_mul_block u_block (.d(q[c*106 +: 106]), .y(r[c*252 +: 252]));
  end
endmodule

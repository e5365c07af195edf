Attribute VB_Name = "IcpRibbon"
' ICP ribbon callbacks (onAction targets of workbook/ribbon.xml).
' Each button calls exactly one Python action on the active workbook through
' xlwings RunPython; all logic, messages and error handling live in icp_xl.excel.ribbon.
Option Explicit

' Ribbon button: New ICP workbook
Public Sub OnNewWorkbook(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('new_workbook')"
End Sub

' Ribbon button: Import accounts
Public Sub OnImportAccounts(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('import_accounts')"
End Sub

' Ribbon button: Validate
Public Sub OnValidate(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('validate')"
End Sub

' Ribbon button: Rescore
Public Sub OnRescore(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('rescore')"
End Sub

' Ribbon button: Refresh segment view
Public Sub OnRefreshSegmentView(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('refresh_segment_view')"
End Sub

' Ribbon button: Optimize
Public Sub OnOptimize(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('optimize')"
End Sub

' Ribbon button: Use optimized weights
Public Sub OnUseOptimizedWeights(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('use_optimized_weights')"
End Sub

' Ribbon button: Reset weights
Public Sub OnResetWeights(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('reset_weights')"
End Sub

' Ribbon button: Export CSV
Public Sub OnExportCsv(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('export_csv')"
End Sub

' Ribbon button: Help
Public Sub OnHelp(control As IRibbonControl)
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('help')"
End Sub

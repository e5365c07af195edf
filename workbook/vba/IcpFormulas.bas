Attribute VB_Name = "IcpFormulas"
' Helper of the ICP formulas' VBA wrappers (module xlwings_udfs, written by xlwings'
' generator at build time; icp-xl addin build routes their error text through here).
Option Explicit

Private Const ICP_FIX As String = "to rebuild it, close Excel, run 'icp-xl addin install' and start Excel again."
Private Const ICP_FIX_PYTHON As String = "close Excel, run 'icp-xl addin install' from the environment you use now and start Excel again."

' The text a formula cell shows when its call into Python failed, one sentence:
' - on macOS: the formulas run on Windows only (xlwings calls Python from a cell only there);
' - the recorded Python is gone (its environment was moved or deleted): name it and the fix;
' - xlwings' DLL for this add-in's xlwings version cannot be loaded (Python's environment
'   has another xlwings): name both versions and the fix;
' any other error text (Python's own #ICP! sentences) is kept.
Public Function IcpFormulaError(description As String) As String
    Dim installed As String, interpreter As String
    #If Mac Then
        IcpFormulaError = "#ICP! ICP formulas run on Windows only; on a Mac use the ICP " & _
            "buttons (Rescore fills the Scores sheet)."
        Exit Function
    #End If
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter <> "" Then
        If Not FileExists(interpreter) Then
            IcpFormulaError = "#ICP! The Python the ICP add-in runs (" & interpreter & _
                ") does not exist: its environment was moved or deleted; " & ICP_FIX_PYTHON
            Exit Function
        End If
    End If
    If InStr(1, description, "Could not load xlwings", vbTextCompare) = 0 Then
        IcpFormulaError = description
        Exit Function
    End If
    installed = InstalledXlwingsVersion()
    If installed = "" Then installed = "another version"
    IcpFormulaError = "#ICP! The ICP add-in was built for xlwings " & XLWINGS_VERSION & _
        " but Python has xlwings " & installed & "; " & ICP_FIX
End Function

' The version in the name of the xlwings DLL next to the configured interpreter
' (its folder or, for a virtual environment, the folder above), or "" if none is found.
Private Function InstalledXlwingsVersion() As String
    Dim folder As String, found As String, prefix As String, attempt As Integer
    #If Win64 Then
        prefix = "xlwings64-"
    #Else
        prefix = "xlwings32-"
    #End If
    On Error Resume Next
    folder = ParentFolder(GetConfig("INTERPRETER_WIN", ""))
    For attempt = 1 To 2
        If folder <> "" Then
            found = Dir(folder & "\" & prefix & "*.dll")
            If found <> "" Then
                InstalledXlwingsVersion = Mid$(found, Len(prefix) + 1, Len(found) - Len(prefix) - 4)
                Exit Function
            End If
            folder = ParentFolder(folder)
        End If
    Next attempt
    On Error GoTo 0
End Function
